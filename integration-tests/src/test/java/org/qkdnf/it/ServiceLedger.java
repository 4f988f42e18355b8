package org.qkdnf.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.qkdnf.common.ids.LaneIds;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.proto.keymgmt.v1.KeyRouteEntry;
import org.qkdnf.proto.northbound.v1.GetTopologyRequest;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceServiceGrpc.KeyServiceServiceBlockingStub;
import org.qkdnf.proto.northbound.v1.ListKeyServicesRequest;
import org.qkdnf.proto.northbound.v1.ServiceRoute;
import org.qkdnf.proto.northbound.v1.TopologyLink;

/**
 * What the services the controller lists (Nc) should hold, compared with what the network
 * actually holds: the reserved rate of every link (Nc GetTopology) and the routes every key manager
 * has installed (its own store) and the controller's Sk route table. Anything held beyond what the
 * listed services account for is a leak; anything missing breaks a service.
 *
 * <p>Stated on the listed services only, so it holds however a service's routes are installed
 * (one working route with a standby, or both routes of a 1+1 pair): every route marked installed
 * must be in every key manager on its path; a key manager may hold only routes of listed services
 * that pass through its node (a standby route too, once it has a route id).
 */
final class ServiceLedger {

    private ServiceLedger() {
    }

    static void assertNetworkHoldsExactly(KeyChain chain, KeyServiceServiceBlockingStub nc) {
        List<KeyService> services = nc.listKeyServices(ListKeyServicesRequest.getDefaultInstance()).getServicesList();
        assertThat(reservedByLane(nc)).as("reserved bit/s per lane (Nc GetTopology) for " + describe(services))
                .isEqualTo(expectedReservations(chain, services));
        Map<String, Set<String>> required = routesByNode(chain, services, true);
        Map<String, Set<String>> allowed = routesByNode(chain, services, false);
        for (int i = 0; i < chain.kms.length; i++) {
            Set<String> installed = new TreeSet<>();
            for (KeyServiceDefinition d : chain.kms[i].services().services()) {
                installed.add(d.serviceId().toString());
            }
            String node = chain.nodes.get(i);
            assertThat(installed).as("routes installed in the key manager of n" + i + " for " + describe(services))
                    .containsAll(required.get(node)).isSubsetOf(allowed.get(node));
        }
        Set<String> skRoutes = new TreeSet<>();
        for (KeyRouteEntry e : chain.controller.keyManagementService().getKeyRoutes()) {
            skRoutes.add(e.getRoute().getServiceId());
        }
        Set<String> allRequired = new TreeSet<>();
        required.values().forEach(allRequired::addAll);
        Set<String> allAllowed = new TreeSet<>();
        allowed.values().forEach(allAllowed::addAll);
        assertThat(skRoutes).as("the controller's Sk route table for " + describe(services))
                .containsAll(allRequired).isSubsetOf(allAllowed);
    }

    /** Every lane (link and direction) with its reserved rate; zero where nothing is reserved. */
    static Map<String, Long> reservedByLane(KeyServiceServiceBlockingStub nc) {
        Map<String, Long> out = new TreeMap<>();
        for (TopologyLink l : nc.getTopology(GetTopologyRequest.getDefaultInstance()).getLinksList()) {
            out.put(LaneIds.of(l.getQkdlId(), l.getQkdnIdA()), l.getReservedBpsAToB());
            out.put(LaneIds.of(l.getQkdlId(), l.getQkdnIdB()), l.getReservedBpsBToA());
        }
        return out;
    }

    /**
     * min_bandwidth_bps on the lane of every hop of every route a service holds (a 1+1 standby is
     * reserved too): the hop's sending node's lane of the hop's link.
     */
    private static Map<String, Long> expectedReservations(KeyChain chain, List<KeyService> services) {
        Map<String, Long> out = new TreeMap<>();
        chain.lanes().forEach(l -> out.put(l, 0L));
        for (KeyService s : services) {
            for (ServiceRoute r : s.getRoutesList()) {
                for (int i = 0; i < r.getQkdlIdsCount(); i++) {
                    out.merge(LaneIds.of(r.getQkdlIds(i), r.getQkdnIds(i)), s.getSpec().getQos().getMinBandwidthBps(),
                            Long::sum);
                }
            }
        }
        return out;
    }

    /** Per node, the route ids of the routes through it: only those marked installed, or every one with an id. */
    private static Map<String, Set<String>> routesByNode(KeyChain chain, List<KeyService> services,
                                                         boolean installedOnly) {
        Map<String, Set<String>> out = new HashMap<>();
        chain.nodes.forEach(n -> out.put(n, new TreeSet<>()));
        for (KeyService s : services) {
            for (ServiceRoute r : s.getRoutesList()) {
                if (r.getInstalled()) {
                    assertThat(r.getRouteId()).as("route id of an installed route of " + s.getServiceId()).isNotEmpty();
                }
                if (!r.getRouteId().isEmpty() && (r.getInstalled() || !installedOnly)) {
                    r.getQkdnIdsList().forEach(n -> out.get(n).add(r.getRouteId()));
                }
            }
        }
        return out;
    }

    private static String describe(List<KeyService> services) {
        StringBuilder sb = new StringBuilder(services.size() + " services");
        for (KeyService s : services) {
            sb.append("; ").append(s.getServiceId()).append(' ').append(s.getState()).append(' ')
                    .append(s.getRoutesCount()).append(" routes");
        }
        return sb.toString();
    }
}
