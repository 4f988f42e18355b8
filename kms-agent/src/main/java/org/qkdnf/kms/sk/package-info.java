/**
 * Sk, the key manager's side of the controller link (ITU-T Y.3805 controller to key manager):
 * registration, pool levels and relay counters reported to the controller, key routes installed and
 * removed by it ({@link org.qkdnf.kms.sk.SkClient}; the route commands run many at a time, in
 * order per service id, in {@code RouteCommands}).
 */
package org.qkdnf.kms.sk;
