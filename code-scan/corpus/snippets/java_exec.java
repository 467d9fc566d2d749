public class Pinger {
    public void ping(String host) throws Exception {
        Process p = Runtime.getRuntime().exec("ping -c 1 " + host);
        p.waitFor();
    }
}
