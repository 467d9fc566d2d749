using System;

public class Otp {
    public string Make() {
        var rng = new Random();
        var otp = rng.Next(100000, 999999).ToString();
        var token = new Random().Next().ToString("x");
        return otp + token;
    }
}
