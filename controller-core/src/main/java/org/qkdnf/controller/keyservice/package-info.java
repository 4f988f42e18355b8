/**
 * Key services (Nc, {@code qkdnf.northbound.v1.KeyServiceService}): the controller computes the
 * route(s) of a key service between two SAEs, admits its key rate on every link, installs the
 * route(s) into the key managers over Sk and moves the service when links fail
 * ({@link org.qkdnf.controller.keyservice.KeyServiceManager}).
 */
package org.qkdnf.controller.keyservice;
