/** The key manager's command line: {@link org.qkdnf.kms.cli.KmsAgentMain}. */
package org.qkdnf.kms.cli;
