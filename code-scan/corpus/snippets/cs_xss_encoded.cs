using System.Web;

public class SafeGreetingHandler : IHttpHandler
{
    public bool IsReusable => true;

    public void ProcessRequest(HttpContext context)
    {
        string name = HttpUtility.HtmlEncode(context.Request.QueryString["name"]);
        context.Response.ContentType = "text/html";
        context.Response.Write("<h1>Welcome back, " + name + "!</h1>");
    }
}
