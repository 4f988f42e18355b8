/** The controller core hosted by a small main, with an embedded crash-safe store. */
package org.qkdnf.controller.standalone;
