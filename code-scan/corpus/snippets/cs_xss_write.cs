using System.Web;

public class GreetingHandler : IHttpHandler
{
    public bool IsReusable => true;

    public void ProcessRequest(HttpContext context)
    {
        string name = context.Request.QueryString["name"];
        context.Response.ContentType = "text/html";
        context.Response.Write("<h1>Welcome back, " + name + "!</h1>");
    }
}
