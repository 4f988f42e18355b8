/** The topology store on ONOS's distributed primitives ({@code StorageService} ConsistentMaps). */
package org.qkdnf.controller.app.store;
