package org.qkdnf.controller.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

import org.apache.karaf.shell.api.action.Command;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.impl.SimpleKeyManagementStore;
import org.qkdnf.controller.km.KeyManagementManager;
import org.qkdnf.proto.keymgmt.v1.KeyRoute;
import org.qkdnf.proto.keymgmt.v1.KeyRouteEntry;
import org.qkdnf.proto.keymgmt.v1.KeyRouteState;
import org.qkdnf.proto.keymgmt.v1.KmLink;
import org.qkdnf.proto.keymgmt.v1.KmNode;
import org.qkdnf.proto.keymgmt.v1.KmsHello;
import org.qkdnf.proto.keymgmt.v1.KmsInventory;

class KmCommandsTest {

    static final String A = "10000000-0000-4000-8000-000000000001";
    static final String B = "20000000-0000-4000-8000-000000000002";
    static final String AB = "ab000000-0000-4000-8000-0000000000ab";
    static final String S = "5e000000-0000-4000-8000-000000000001";

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void tearDown() {
        scheduler.shutdownNow();
    }

    /** A manager restored from a store holding two key managers and one route (as after a restart). */
    private KeyManagementManager restored() {
        SimpleKeyManagementStore store = new SimpleKeyManagementStore();
        store.putNode(KmNode.newBuilder().setHello(KmsHello.newBuilder().setQkdnId(A).setKmeId("kme-a")
                .setEtsi014Address("127.0.0.1:8443")).setInventory(KmsInventory.newBuilder()
                .addKmLinks(KmLink.newBuilder().setQkdlId(AB).setNeighbourQkdnId(B))).build());
        store.putNode(KmNode.newBuilder().setHello(KmsHello.newBuilder().setQkdnId(B).setKmeId("kme-b")
                .setEtsi014Address("127.0.0.1:9443")).build());
        store.putRoute(KeyRouteEntry.newBuilder().setState(KeyRouteState.KEY_ROUTE_STATE_INSTALLED)
                .setRoute(KeyRoute.newBuilder().setServiceId(S).setMasterSaeId("alice").setSlaveSaeId("bob")
                        .addRouteQkdnIds(A).addRouteQkdnIds(B).addRouteQkdlIds(AB).setBufferBits(64)).build());
        return new KeyManagementManager(store, scheduler, ControllerSettings::defaults, Clock.systemUTC());
    }

    @Test
    void commandsAreNamedAsDocumented() {
        assertThat(KmNodesCommand.class.getAnnotation(Command.class).name()).isEqualTo("qkd-km-nodes");
        assertThat(KmLinksCommand.class.getAnnotation(Command.class).name()).isEqualTo("qkd-km-links");
        assertThat(KeyRoutesCommand.class.getAnnotation(Command.class).name()).isEqualTo("qkd-key-routes");
    }

    @Test
    void keyManagersLinksAndRoutesAreListed() {
        KeyManagementManager km = restored();
        String nodes = CommandOutput.capture(() -> new KmNodesCommand().list(km)).out;
        assertThat(nodes.split("\n")).hasSize(2);
        assertThat(nodes).contains("qkdnId=" + A + ", kmeId=kme-a, etsi014=127.0.0.1:8443, kms=disconnected, links=1");
        String links = CommandOutput.capture(() -> new KmLinksCommand().list(km)).out;
        assertThat(links.trim()).isEqualTo("qkdlId=" + AB + ", a=" + A + ", b=" + B
                + ", availableBitsAtA=0, availableBitsAtB=0, lanesAtA=0, lanesAtB=0");
        String routes = CommandOutput.capture(() -> new KeyRoutesCommand().list(km)).out;
        assertThat(routes.trim()).isEqualTo("serviceId=" + S + ", state=INSTALLED, master=alice, slave=bob, nodes="
                + A + "," + B + ", links=" + AB + ", rateBps=0, bufferBits=64");
    }
}
