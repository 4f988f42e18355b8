package org.qkdnf.controller.app.keyservice;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import io.grpc.Status;
import org.junit.jupiter.api.Test;
import org.qkdnf.proto.northbound.v1.GetTopologyResponse;
import org.qkdnf.proto.northbound.v1.TopologyLink;
import org.qkdnf.proto.northbound.v1.WatchTopologyResponse;

/** The watches of one instance: snapshot first, changes held meanwhile, ended on a leader change. */
class ClusterTopologyWatchTest {

    private final ClusterTopologyWatch watches = new ClusterTopologyWatch();
    private final List<WatchTopologyResponse> seen = new CopyOnWriteArrayList<>();

    private static WatchTopologyResponse link(String id) {
        return WatchTopologyResponse.newBuilder().setLink(TopologyLink.newBuilder().setQkdlId(id)).build();
    }

    @Test
    void changesThatArriveWhileTheSnapshotIsFetchedFollowIt() {
        CompletableFuture<GetTopologyResponse> snapshot = new CompletableFuture<>();
        CompletableFuture<Void> ended = watches.watch(seen::add, () -> snapshot);
        watches.changed(link("l1"));
        watches.changed(link("l2"));
        assertThat(seen).as("nothing before the snapshot").isEmpty();

        snapshot.complete(GetTopologyResponse.getDefaultInstance());
        watches.changed(link("l3"));

        assertThat(seen).extracting(WatchTopologyResponse::getChangeCase).containsExactly(
                WatchTopologyResponse.ChangeCase.SNAPSHOT, WatchTopologyResponse.ChangeCase.LINK,
                WatchTopologyResponse.ChangeCase.LINK, WatchTopologyResponse.ChangeCase.LINK);
        assertThat(seen.subList(1, 4)).extracting(r -> r.getLink().getQkdlId()).containsExactly("l1", "l2", "l3");
        assertThat(ended).isNotDone();
    }

    @Test
    void aLeaderChangeEndsEveryWatchUnavailableAndNothingFollows() {
        CompletableFuture<Void> ended = watches.watch(seen::add,
                () -> CompletableFuture.completedFuture(GetTopologyResponse.getDefaultInstance()));

        watches.endAll("key-service leader changed to instance-2; watch the topology again");
        watches.changed(link("l1"));

        assertThat(ended).isCompletedExceptionally();
        Status s = Status.fromThrowable(ended.handle((v, e) -> e).join());
        assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(s.getDescription()).contains("leader changed to instance-2");
        assertThat(seen).extracting(WatchTopologyResponse::getChangeCase)
                .containsExactly(WatchTopologyResponse.ChangeCase.SNAPSHOT);
    }

    @Test
    void aSnapshotThatCannotBeHadEndsTheWatchWithItsStatus() {
        CompletableFuture<Void> ended = watches.watch(seen::add, () -> CompletableFuture.failedFuture(
                Status.UNAVAILABLE.withDescription("no key-service leader is elected; retry").asRuntimeException()));

        assertThat(Status.fromThrowable(ended.handle((v, e) -> e).join()).getDescription()).contains("no key-service leader");
        watches.changed(link("l1"));
        assertThat(seen).isEmpty();
    }

    @Test
    void anUnwatchedWatcherGetsNothingMore() {
        java.util.function.Consumer<WatchTopologyResponse> watcher = seen::add;
        watches.watch(watcher, () -> CompletableFuture.completedFuture(GetTopologyResponse.getDefaultInstance()));
        watches.changed(link("l1"));

        watches.unwatch(watcher);
        watches.changed(link("l2"));

        assertThat(seen).hasSize(2);
        assertThat(seen.get(1).getLink().getQkdlId()).isEqualTo("l1");
    }
}
