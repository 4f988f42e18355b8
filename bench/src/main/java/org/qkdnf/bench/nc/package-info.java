/**
 * Nc (key-service northbound) benchmarks: setups per second and recovery time on the standalone
 * controller with real kms-agents over Sk.
 */
package org.qkdnf.bench.nc;
