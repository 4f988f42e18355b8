package org.qkdnf.controller.app.rest;

import org.qkdnf.controller.api.QkdIds;

/** Checks ids taken from request paths. */
final class QkdIdParam {

    private QkdIdParam() {
    }

    /**
     * @return {@code id}, when it is a canonical UUID (what 015 ids are)
     * @throws IllegalArgumentException naming the parameter (ONOS maps it to 400 Bad Request)
     */
    static String uuid(String name, String id) {
        if (!QkdIds.isUuid(id)) {
            throw new IllegalArgumentException(name + ": not a UUID (expected 8-4-4-4-12 hex digits)");
        }
        return id;
    }
}
