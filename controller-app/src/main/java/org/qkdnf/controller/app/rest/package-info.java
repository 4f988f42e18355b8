/** Read-only REST API of the controller's topology, under the app's web context. */
package org.qkdnf.controller.app.rest;
