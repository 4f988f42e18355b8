/**
 * Encryption of key material at rest, shared by every store that keeps QKD key on disk: the key
 * manager's pools and the agent's journal of device key not yet handed over.
 */
package org.qkdnf.common.atrest;
