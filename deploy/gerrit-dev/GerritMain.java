// Runs one of Gerrit's programs (init, daemon, reindex, ...) from a plain
// classpath, the way `java -jar gerrit.war PROGRAM ARGS` does from the war:
// com.google.gerrit.pgm.<Program>, whose instance method main(String[])
// returns the exit code. start.sh compiles it once into the cache; it is
// needed only where Maven Central serves no gerrit-war (see README.md).
public final class GerritMain {
  private GerritMain() {}

  public static void main(String[] argv) throws Exception {
    if (argv.length == 0) {
      System.err.println("usage: GerritMain PROGRAM [ARGS...]   (e.g. init, daemon, reindex)");
      System.exit(2);
    }
    String name = argv[0];
    String cls =
        "com.google.gerrit.pgm." + Character.toUpperCase(name.charAt(0)) + name.substring(1);
    Object program = Class.forName(cls).getConstructor().newInstance();
    String[] rest = java.util.Arrays.copyOfRange(argv, 1, argv.length);
    int rc;
    try {
      rc = (Integer) program.getClass().getMethod("main", String[].class).invoke(program, (Object) rest);
    } catch (java.lang.reflect.InvocationTargetException e) {
      throw (e.getCause() instanceof Exception) ? (Exception) e.getCause() : e;
    }
    System.exit(rc);
  }
}
