package org.qkdnf.kms.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;

/** Ids are 1-128 of A-Z a-z 0-9 . _ : -; anything else is refused naming the field. */
class KeyServiceDefinitionTest {

    private static KeyServiceDefinition with(String master, String node) {
        return new KeyServiceDefinition(UUID.randomUUID(), master, "sae-b", List.of("n1", node), List.of("l1"), 8);
    }

    @Test
    void idsOfTheAllowedCharactersUpTo128AreTaken() {
        assertThat(with("Az09._:-", "x".repeat(128)).routeQkdnIds()).hasSize(2);
    }

    @Test
    void anyOtherIdIsRefusedNamingItsField() {
        assertThatThrownBy(() -> with("sae a", "n2")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("master_SAE_ID: 1-128 characters of A-Z a-z 0-9 . _ : -, got 'sae a'");
        assertThatThrownBy(() -> with("sae-a", "x".repeat(129))).hasMessageStartingWith("route.qkdn_ids: 1-128");
        assertThatThrownBy(() -> with("sae-a", "")).hasMessageStartingWith("route.qkdn_ids: 1-128");
        assertThatThrownBy(() -> with("sae-ä", "n2")).hasMessageStartingWith("master_SAE_ID: 1-128");
        assertThatThrownBy(() -> with("sae-a", "n1")).hasMessage("route: visits a node twice");
    }
}
