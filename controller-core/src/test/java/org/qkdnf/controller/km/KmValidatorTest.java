package org.qkdnf.controller.km;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.UUID;
import java.util.regex.Pattern;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;
import org.qkdnf.proto.keymgmt.v1.KeyRoute;
import org.qkdnf.proto.keymgmt.v1.RelayCounters;

class KmValidatorTest {

    /** The grammar the key managers document for SAE ids (kms-agent KeyServiceDefinition). */
    private static final Pattern SAE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");

    @Test
    void saeIdCheckAcceptsExactlyTheDocumentedGrammar() {
        List<String> ids = List.of("sae-m-17", "A.b_c:D-9", "x", "a".repeat(128), "a".repeat(129), "", "sae 1",
                "sae/1", "säe", "sae\n", "sae@x", "-", "::", "sae,1");
        for (String id : ids) {
            assertThat(KmValidator.isSaeId(id)).as(id).isEqualTo(SAE_ID.matcher(id).matches());
        }
    }

    @Test
    void badSaeIdOfARouteIsNamed() {
        KeyRoute r = route().setSlaveSaeId("bad id").build();
        assertThatThrownBy(() -> KmValidator.route(r, "route"))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).startsWith("route.slave_sae_id: ");
                });
    }

    @Test
    void badServiceIdOfARouteIsNamed() {
        KeyRoute r = route().setServiceId("not-a-uuid").build();
        assertThatThrownBy(() -> KmValidator.route(r, "route"))
                .hasMessageContaining("route.service_id: not a UUID");
    }

    @Test
    void validRoutePasses() {
        KmValidator.route(route().build(), "route");
    }

    @Test
    void badInstalledServiceIdIsNamedWithItsIndex() {
        RelayCounters c = RelayCounters.newBuilder().addInstalledServiceIds(UUID.randomUUID().toString())
                .addInstalledServiceIds("nope").build();
        assertThatThrownBy(() -> KmValidator.relayCounters(c))
                .hasMessageContaining("relay_counters.installed_service_ids[1]: not a UUID");
    }

    private static KeyRoute.Builder route() {
        return KeyRoute.newBuilder().setServiceId(UUID.randomUUID().toString()).setMasterSaeId("sae-m-1")
                .setSlaveSaeId("sae-s-1").addRouteQkdnIds(UUID.randomUUID().toString())
                .addRouteQkdnIds(UUID.randomUUID().toString()).addRouteQkdlIds(UUID.randomUUID().toString())
                .setBufferBits(65_536);
    }
}
