/**
 * The durable key pool store on an H2 MVStore file: {@link org.qkdnf.kms.store.MvStoreKeyPoolStore}
 * and the pieces it is built from (at-rest cipher, key file, record formats, group commit, one pool).
 */
package org.qkdnf.kms.store;
