package org.qkdnf.kms.api;

/**
 * What one {@link KeyPoolStore#append} did; when it returns, all of it is durable.
 *
 * @param storedBlocks    blocks that were new and are now stored
 * @param duplicateBlocks blocks the pool already had (same index and id), ignored
 * @param nextBlockIndex  index the next new block must have: the producer may forget every block
 *                        below it
 */
public record AppendResult(int storedBlocks, int duplicateBlocks, long nextBlockIndex) {
}
