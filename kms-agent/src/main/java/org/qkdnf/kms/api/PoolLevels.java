package org.qkdnf.kms.api;

/**
 * How full one link's pool is, for reporting (Sk key-store levels) and admission. All counts are
 * bits since the pool was defined.
 *
 * @param qkdlId          the link
 * @param maxBits         the configured maximum of {@link #availableBits()}
 * @param availableBits   key stored and not yet consumed or discarded
 * @param producedBits    key appended (each block once, duplicates not counted)
 * @param consumedBits    key handed out by reserve or consume
 * @param discardedBits   key skipped and erased unused, when a peer's range started ahead of the
 *                        watermark
 * @param nextBlockIndex  index the next new block must have
 */
public record PoolLevels(String qkdlId, long maxBits, long availableBits, long producedBits,
                         long consumedBits, long discardedBits, long nextBlockIndex) {
}
