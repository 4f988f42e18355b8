package org.qkdnf.controller.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.UUID;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class QkdIdsTest {

    @ParameterizedTest
    @ValueSource(strings = {"", "x", "123e4567-e89b-12d3-a456-42661417400", "123e4567-e89b-12d3-a456-4266141740000",
            "123e4567+e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-42661417400g", "{23e4567-e89b-12d3-a456-426614174000",
            "123e4567e89b-12d3-a456-4266141740000", "1-2-3-4-5"})
    void rejectsWhatTheCanonicalPatternRejects(String s) {
        assertThat(QkdIds.isUuid(s)).isFalse();
        assertThat(QkdIds.uuidPattern().matcher(s).matches()).isFalse();
    }

    @Test
    void acceptsCanonicalUuidsInEitherCase() {
        for (int i = 0; i < 1000; i++) {
            String u = UUID.randomUUID().toString();
            assertThat(QkdIds.isUuid(u)).isTrue();
            assertThat(QkdIds.isUuid(u.toUpperCase())).isTrue();
            assertThat(QkdIds.uuidPattern().matcher(u).matches()).isTrue();
        }
        assertThat(QkdIds.isUuid(null)).isFalse();
    }
}
