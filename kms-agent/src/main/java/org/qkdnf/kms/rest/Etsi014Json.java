package org.qkdnf.kms.rest;

import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * The JSON data formats of ETSI GS QKD 014 V1.1.1 clause 6, with exactly the standard's member
 * names. Extensions are free-form JSON objects.
 */
final class Etsi014Json {

    private Etsi014Json() {
    }

    /** 6.1 Status. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"source_KME_ID", "target_KME_ID", "master_SAE_ID", "slave_SAE_ID", "key_size",
        "stored_key_count", "max_key_count", "max_key_per_request", "max_key_size", "min_key_size",
        "max_SAE_ID_count", "status_extension"})
    record Status(
            @JsonProperty("source_KME_ID") String sourceKmeId,
            @JsonProperty("target_KME_ID") String targetKmeId,
            @JsonProperty("master_SAE_ID") String masterSaeId,
            @JsonProperty("slave_SAE_ID") String slaveSaeId,
            @JsonProperty("key_size") int keySize,
            @JsonProperty("stored_key_count") long storedKeyCount,
            @JsonProperty("max_key_count") long maxKeyCount,
            @JsonProperty("max_key_per_request") int maxKeyPerRequest,
            @JsonProperty("max_key_size") int maxKeySize,
            @JsonProperty("min_key_size") int minKeySize,
            @JsonProperty("max_SAE_ID_count") int maxSaeIdCount,
            @JsonProperty("status_extension") Map<String, Object> statusExtension) {
    }

    /** 6.2 Key request (POST enc_keys). Every member is optional. */
    record KeyRequest(
            @JsonProperty("number") Integer number,
            @JsonProperty("size") Integer size,
            @JsonProperty("additional_slave_SAE_IDs") List<String> additionalSlaveSaeIds,
            @JsonProperty("extension_mandatory") List<Map<String, Object>> extensionMandatory,
            @JsonProperty("extension_optional") List<Map<String, Object>> extensionOptional) {
    }

    /** 6.3 Key container: the reference {@link KeyContainerJson} is tested against. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"keys", "key_container_extension"})
    record KeyContainer(
            @JsonProperty("keys") List<Key> keys,
            @JsonProperty("key_container_extension") Map<String, Object> keyContainerExtension) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    @JsonPropertyOrder({"key_ID", "key_ID_extension", "key", "key_extension"})
    record Key(
            @JsonProperty("key_ID") String keyId,
            @JsonProperty("key_ID_extension") Map<String, Object> keyIdExtension,
            @JsonProperty("key") String key,
            @JsonProperty("key_extension") Map<String, Object> keyExtension) {

        @Override
        public String toString() {
            return "Key[" + keyId + "]";
        }
    }

    /** 6.4 Key IDs (POST dec_keys). */
    record KeyIds(
            @JsonProperty("key_IDs") List<KeyIdEntry> keyIds,
            @JsonProperty("key_IDs_extension") Map<String, Object> keyIdsExtension) {
    }

    record KeyIdEntry(
            @JsonProperty("key_ID") String keyId,
            @JsonProperty("key_ID_extension") Map<String, Object> keyIdExtension) {
    }

    /** 6.5 Error. */
    @JsonInclude(JsonInclude.Include.NON_EMPTY)
    @JsonPropertyOrder({"message", "details"})
    record Error(
            @JsonProperty("message") String message,
            @JsonProperty("details") List<Map<String, Object>> details) {
    }
}
