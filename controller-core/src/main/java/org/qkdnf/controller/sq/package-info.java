/** The Sq gRPC server: the controller side of the agent streams (quantum_layer.proto). */
package org.qkdnf.controller.sq;
