/** Load and scale benchmarks of the QKDN controller; {@link org.qkdnf.bench.BenchMain} is the jar's entry point. */
package org.qkdnf.bench;
