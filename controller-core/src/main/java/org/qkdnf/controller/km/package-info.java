/**
 * Sk, the controller side of key management (ITU-T Y.3805 controller to key manager): the
 * key-manager streams ({@code qkdnf.keymgmt.v1.KeyManagementService}), the key-management view and
 * operator-pinned key routes ({@link org.qkdnf.controller.km.KeyManagementManager}), and the
 * {@code KeyRouteAdminService} northbound.
 */
package org.qkdnf.controller.km;
