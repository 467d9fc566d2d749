import javax.servlet.http.*;

public class Login extends HttpServlet {
    protected void doPost(HttpServletRequest req, HttpServletResponse resp) {
        Cookie c = new Cookie("session", newSessionId());
        c.setSecure(true);
        c.setHttpOnly(true);
        resp.addCookie(c);
    }
}
