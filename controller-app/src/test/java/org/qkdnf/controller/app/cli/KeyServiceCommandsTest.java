package org.qkdnf.controller.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.qkdnf.controller.app.keyservice.KeyServiceCluster.A;
import static org.qkdnf.controller.app.keyservice.KeyServiceCluster.B;
import static org.qkdnf.controller.app.keyservice.KeyServiceCluster.D;

import java.util.List;

import org.apache.karaf.shell.api.action.Command;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.qkdnf.controller.app.keyservice.KeyServiceCluster;
import org.qkdnf.controller.app.keyservice.KeyServicesService;

/** The key-service commands on the follower of a two-instance {@link KeyServiceCluster}. */
class KeyServiceCommandsTest {

    private KeyServiceCluster cluster;
    private KeyServicesService services;

    @BeforeEach
    void setUp() throws Exception {
        cluster = KeyServiceCluster.start(2);
        services = cluster.instance(1).services;
    }

    @AfterEach
    void tearDown() {
        cluster.close();
    }

    private static <T extends KeyServiceSpecOptions> T spec(T c, long rate, String protection) {
        c.masterSae = "sae-alice";
        c.masterQkdn = A;
        c.slaveSae = "sae-bob";
        c.slaveQkdn = D;
        c.rate = rate;
        c.protection = protection;
        return c;
    }

    @Test
    void commandsAreNamedAsDocumented() {
        assertThat(KeyServicesCommand.class.getAnnotation(Command.class).name()).isEqualTo("qkd-services");
        assertThat(KeyServiceAddCommand.class.getAnnotation(Command.class).name()).isEqualTo("qkd-service-add");
        assertThat(KeyServiceRemoveCommand.class.getAnnotation(Command.class).name()).isEqualTo("qkd-service-remove");
        assertThat(KeyPathsCommand.class.getAnnotation(Command.class).name()).isEqualTo("qkd-paths");
    }

    @Test
    void addListQueryAndRemove() {
        KeyServiceAddCommand add = spec(new KeyServiceAddCommand(), 2_000, "RESTORATION");
        add.via = List.of(B);
        String added = CommandOutput.capture(() -> add.add(services)).out;
        assertThat(added).startsWith("Created key service ")
                .contains("(ACTIVE) on " + A + ">" + B + ">" + D);
        String id = services.list().get(0).getServiceId();

        String listed = CommandOutput.capture(() -> new KeyServicesCommand().list(services)).out;
        assertThat(listed.trim()).isEqualTo("serviceId=" + id + ", state=ACTIVE, master=sae-alice@" + A
                + ", slave=sae-bob@" + D + ", minBps=2000, priority=0, protection=RESTORATION, route=" + A + ">" + B
                + ">" + D + ", reroutes=0");

        String paths = CommandOutput.capture(() -> spec(new KeyPathsCommand(), 8_000, "ONE_PLUS_ONE").query(services)).out;
        assertThat(paths.split("\n")).hasSize(1).allSatisfy(l -> assertThat(l).startsWith("working: nodes=" + A + ">"));

        KeyServiceRemoveCommand remove = new KeyServiceRemoveCommand();
        remove.serviceId = id;
        assertThat(CommandOutput.capture(() -> remove.remove(services)).out.trim()).isEqualTo("Deleted key service " + id);
        assertThat(services.list()).isEmpty();
    }

    @Test
    void refusalsNameTheField() {
        String bad = CommandOutput.capture(() -> spec(new KeyServiceAddCommand(), 2_000, "BOTH").add(services)).err;
        assertThat(bad.trim()).isEqualTo("--protection: must be NONE, ONE_PLUS_ONE or RESTORATION, got 'BOTH'");
        // More than both sides of the square carry together (the core splits a rate over several routes).
        String full = CommandOutput.capture(() -> spec(new KeyServiceAddCommand(), 2 * KeyServiceCluster.ADMISSIBLE + 1,
                "NONE").add(services)).err;
        assertThat(full).startsWith("Not created: RESOURCE_EXHAUSTED: no route from " + A);
        KeyServiceRemoveCommand remove = new KeyServiceRemoveCommand();
        remove.serviceId = "5e000000-0000-4000-8000-000000000001";
        assertThat(CommandOutput.capture(() -> remove.remove(services)).err).startsWith("Not deleted: NOT_FOUND: service_id");
        KeyServicesCommand one = new KeyServicesCommand();
        one.serviceId = "5e000000-0000-4000-8000-000000000001";
        assertThat(CommandOutput.capture(() -> one.list(services)).err.trim())
                .isEqualTo("No key service 5e000000-0000-4000-8000-000000000001");
    }
}
