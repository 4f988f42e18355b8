/** Retained-heap measurement of the controller core holding a large topology. */
package org.qkdnf.bench.heap;
