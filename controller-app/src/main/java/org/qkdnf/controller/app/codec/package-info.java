/** JSON form of the controller's topology, shared by the REST API and the CLI's {@code -j} output. */
package org.qkdnf.controller.app.codec;
