/**
 * ETSI GS QKD 014 load run: real key managers (durable pools, a key service fed by a simulated QKD
 * link) in {@link org.qkdnf.bench.etsi014.Etsi014Bed}, a closed-loop Netty HTTPS driver with
 * client certificates in {@link org.qkdnf.bench.etsi014.Etsi014LoadDriver}, and the command
 * {@link org.qkdnf.bench.etsi014.Etsi014LoadMain}.
 */
package org.qkdnf.bench.etsi014;
