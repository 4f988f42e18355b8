/** Implementations of the controller API: the manager, the in-memory store, the command dispatcher. */
package org.qkdnf.controller.impl;
