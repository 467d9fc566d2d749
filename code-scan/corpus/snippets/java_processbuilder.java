public class Pinger {
    public void ping(String host) throws Exception {
        Process p = new ProcessBuilder("ping", "-c", "1", host).start();
        p.waitFor();
    }
}
