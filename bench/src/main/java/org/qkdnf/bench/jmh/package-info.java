/** JMH micro-benchmarks of the controller's Sq hot path (run with {@code org.openjdk.jmh.Main}). */
package org.qkdnf.bench.jmh;
