package org.qkdnf.agent.kq;

import org.qkdnf.agent.driver.KeyBlockSource;

/**
 * One link's key blocks as the key supply sees them.
 *
 * @param qkdlId             the link
 * @param transmitterQkdnId  node at the link's transmitter end
 * @param receiverQkdnId     node at the link's receiver end
 * @param keys               the blocks produced so far
 */
public record LinkKeySource(String qkdlId, String transmitterQkdnId, String receiverQkdnId, KeyBlockSource keys) {
}
