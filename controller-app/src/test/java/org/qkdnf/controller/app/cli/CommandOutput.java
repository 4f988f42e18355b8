package org.qkdnf.controller.app.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.onosproject.cli.AbstractShellCommand;

/** Runs a command's body with System.out and System.err captured (print/error write there). */
final class CommandOutput {

    final String out;
    final String err;

    private CommandOutput(String out, String err) {
        this.out = out;
        this.err = err;
    }

    static CommandOutput capture(Runnable body) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            body.run();
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
        return new CommandOutput(out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Sets AbstractShellCommand's private {@code -j} option, as Karaf's argument parser would. */
    static void json(AbstractShellCommand command) throws ReflectiveOperationException {
        java.lang.reflect.Field f = AbstractShellCommand.class.getDeclaredField("json");
        f.setAccessible(true);
        f.setBoolean(command, true);
    }
}
