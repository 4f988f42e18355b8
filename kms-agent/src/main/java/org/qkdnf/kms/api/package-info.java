/**
 * What the key manager's parts see of each other: their contracts (for example the key pool
 * store, {@link org.qkdnf.kms.api.KeyPoolStore}) and the values they take and return. No type here
 * shows key material in {@code toString()}.
 */
package org.qkdnf.kms.api;
