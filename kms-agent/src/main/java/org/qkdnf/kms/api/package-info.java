/**
 * What the key manager's parts see of each other: the key pool store contract
 * ({@link org.qkdnf.kms.api.KeyPoolStore}) and the values it takes and returns. No type here
 * shows key material in {@code toString()}.
 */
package org.qkdnf.kms.api;
