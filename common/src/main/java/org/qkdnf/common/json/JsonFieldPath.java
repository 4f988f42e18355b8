package org.qkdnf.common.json;

import com.fasterxml.jackson.databind.JsonMappingException;

/** The field a Jackson mapping error is about, as users write it: {@code links[2].qkdl_id}. */
public final class JsonFieldPath {

    private JsonFieldPath() {
    }

    /** The path of the offending value; empty when the error is about the whole document. */
    public static String of(JsonMappingException e) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            } else if (r.getFieldName() != null) {
                if (b.length() > 0) {
                    b.append('.');
                }
                b.append(r.getFieldName());
            }
        }
        return b.toString();
    }
}
