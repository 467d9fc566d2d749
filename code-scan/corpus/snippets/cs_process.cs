using System.Diagnostics;

public class Runner {
    public void Run(string args) {
        Process.Start("cmd.exe", "/c dir " + args);
    }
}
