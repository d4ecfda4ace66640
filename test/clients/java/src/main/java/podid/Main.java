package podid;

import java.time.Instant;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicReference;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * Calls AWS with the Java SDK v2's default credential chain only, so the suite can watch a real
 * Java application use the agent. Usage: {@code sts | put <bucket> <key> | loop <seconds> <count>
 * <action...>}. Each result is printed as one JSON line on stdout.
 */
public final class Main {
  /** Remembers the access key of the last signed request (from its Authorization header). */
  static final class SignedKey implements ExecutionInterceptor {
    final AtomicReference<String> last = new AtomicReference<>();

    @Override
    public void beforeTransmission(Context.BeforeTransmission ctx, ExecutionAttributes attrs) {
      ctx.httpRequest()
          .firstMatchingHeader("Authorization")
          .map(h -> h.contains("Credential=") ? h.split("Credential=")[1].split("/")[0] : null)
          .ifPresent(last::set);
    }
  }

  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') b.append('\\').append(c);
      else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }

  static String describe(Throwable e) {
    StringBuilder b = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (b.length() > 0) b.append(" | caused by ");
      b.append(t.getClass().getName()).append(": ").append(t.getMessage());
    }
    return b.toString();
  }

  static String run(StsClient sts, S3Client s3, SignedKey key, String[] action) {
    StringBuilder line = new StringBuilder("{\"sdk\":\"java\",\"action\":").append(quote(action[0]));
    try {
      String arn = null;
      switch (action[0]) {
        case "sts":
          arn = sts.getCallerIdentity().arn();
          break;
        case "put":
          s3.putObject(b -> b.bucket(action[1]).key(action[2]),
              RequestBody.fromString("written by the Java SDK v2"));
          break;
        default:
          throw new IllegalArgumentException("unknown action " + action[0]);
      }
      line.append(",\"ok\":true");
      if (key.last.get() != null) line.append(",\"accessKeyId\":").append(quote(key.last.get()));
      if (arn != null) line.append(",\"arn\":").append(quote(arn));
    } catch (RuntimeException e) {
      line.append(",\"ok\":false,\"error\":").append(quote(describe(e)));
    }
    return line.append(",\"at\":").append(quote(Instant.now().toString())).append('}').toString();
  }

  public static void main(String[] args) throws InterruptedException {
    if (args.length == 0) {
      System.err.println("usage: sts | put <bucket> <key> | loop <seconds> <count> <action...>");
      System.exit(2);
    }
    SignedKey key = new SignedKey();
    // No credentialsProvider(...): each client uses the SDK's default chain, as an application would.
    try (StsClient sts = StsClient.builder()
            .overrideConfiguration(c -> c.addExecutionInterceptor(key)).build();
        S3Client s3 = S3Client.builder().forcePathStyle(true)
            .overrideConfiguration(c -> c.addExecutionInterceptor(key)).build()) {
      if (!args[0].equals("loop")) {
        String line = run(sts, s3, key, args);
        System.out.println(line);
        System.exit(line.contains("\"ok\":true") ? 0 : 1);
      }
      double seconds = Double.parseDouble(args[1]);
      int count = Integer.parseInt(args[2]);
      String[] action = Arrays.copyOfRange(args, 3, args.length);
      for (int i = 0; i < count; i++) {
        if (i > 0) Thread.sleep((long) (seconds * 1000));
        System.out.println(run(sts, s3, key, action));
      }
    }
  }
}
