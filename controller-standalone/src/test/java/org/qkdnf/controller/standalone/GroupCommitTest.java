package org.qkdnf.controller.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The key-service manager sends an install once key management's flush completed, counting on it
 * to have made the service's write-ahead (in another store) durable too: one flush of a shared
 * group commit covers every member's writes made before it.
 */
class GroupCommitTest {

    @TempDir
    Path dir;

    @Test
    void oneFlushMakesEveryMembersEarlierWritesDurable() throws Exception {
        MVStore services = open("services");
        MVStore routes = open("routes");
        try (GroupCommit commits = new GroupCommit("test")) {
            commits.add(routes);
            commits.add(services);
            MVMap<String, String> s = services.openMap("m");
            MVMap<String, String> r = routes.openMap("m");
            s.put("svc", "write-ahead");
            r.put("route", "INSTALLING");
            commits.flush().get(10, TimeUnit.SECONDS);
            s.put("later", "not flushed");
        }
        // A crash: nothing more reaches the files.
        services.closeImmediately();
        routes.closeImmediately();

        MVStore services2 = open("services");
        MVStore routes2 = open("routes");
        try {
            assertThat(services2.<String, String>openMap("m").get("svc")).isEqualTo("write-ahead");
            assertThat(services2.<String, String>openMap("m").get("later")).as("not flushed, so lost").isNull();
            assertThat(routes2.<String, String>openMap("m").get("route")).isEqualTo("INSTALLING");
        } finally {
            services2.close();
            routes2.close();
        }
    }

    @Test
    void aFlushFailsOnceAMemberIsClosed() throws Exception {
        MVStore store = open("closed");
        try (GroupCommit commits = new GroupCommit("test")) {
            commits.add(store);
            store.close();
            assertThat(commits.flush()).failsWithin(10, TimeUnit.SECONDS);
        }
    }

    private MVStore open(String name) {
        return new MVStore.Builder().fileName(dir.resolve(name + ".mv.db").toString()).autoCommitDisabled().open();
    }
}
