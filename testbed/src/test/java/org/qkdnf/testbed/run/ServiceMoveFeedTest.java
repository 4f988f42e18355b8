package org.qkdnf.testbed.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import org.junit.jupiter.api.Test;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceState;
import org.qkdnf.proto.northbound.v1.ServiceRoute;
import org.qkdnf.testbed.view.StatusChangeLog;

class ServiceMoveFeedTest {

    private final StatusChangeLog log = new StatusChangeLog("p1", Map.of(), 10);
    private final ServiceMoveFeed feed = new ServiceMoveFeed("p1", log,
            id -> id.equals("s1") ? Optional.of("bank-to-dc") : Optional.empty(),
            Map.of("a", "A", "b", "B", "c", "C", "d", "D"),
            Clock.fixed(Instant.parse("2026-11-25T20:00:00Z"), ZoneOffset.UTC));

    @Test
    void aMoveAndADegradationAreChangesTheFirstSightIsNot() {
        feed.keyServiceChanged(service(KeyServiceState.KEY_SERVICE_STATE_ACTIVE, 0, "a", "b", "c"), false);
        assertThat(log.drainUnread()).isEmpty();

        feed.keyServiceChanged(service(KeyServiceState.KEY_SERVICE_STATE_ACTIVE, 1, "a", "d", "c"), false);
        feed.keyServiceChanged(service(KeyServiceState.KEY_SERVICE_STATE_ACTIVE, 1, "a", "d", "c"), false);
        feed.keyServiceChanged(service(KeyServiceState.KEY_SERVICE_STATE_DEGRADED, 1), false);

        assertThat(log.drainUnread()).extracting(StatusChangeLog.Change::toString).containsExactly(
                "key service bank-to-dc: ACTIVE A>B>C -> ACTIVE A>D>C (reroutes 1)",
                "key service bank-to-dc: ACTIVE A>D>C -> DEGRADED (reroutes 1)");
    }

    private static KeyService service(KeyServiceState state, int reroutes, String... nodes) {
        KeyService.Builder b = KeyService.newBuilder().setServiceId("s1").setState(state).setReroutes(reroutes);
        if (nodes.length > 0) {
            b.addRoutes(ServiceRoute.newBuilder().addAllQkdnIds(List.of(nodes)).setInstalled(true));
        }
        return b.build();
    }
}
