package org.qkdnf.kms.api;

/**
 * The ETSI GS QKD 014 "Status" of a master/slave SAE pair at one KME. Sizes in bits.
 *
 * @param sourceKmeId      KME of the master SAE
 * @param targetKmeId      KME of the slave SAE
 * @param masterSaeId      the master SAE
 * @param slaveSaeId       the slave SAE
 * @param keySizeBits      default key size
 * @param storedKeyCount   keys of the default size available now
 * @param maxKeyCount      most keys of the default size the KME holds for the pair
 * @param maxKeyPerRequest most keys in one request
 * @param maxKeySizeBits   largest key size
 * @param minKeySizeBits   smallest key size
 * @param maxSaeIdCount    most additional slave SAEs in one request (0: no multicast)
 */
public record KeySupplyStatus(String sourceKmeId, String targetKmeId, String masterSaeId, String slaveSaeId,
                              int keySizeBits, long storedKeyCount, long maxKeyCount, int maxKeyPerRequest,
                              int maxKeySizeBits, int minKeySizeBits, int maxSaeIdCount) {
}
