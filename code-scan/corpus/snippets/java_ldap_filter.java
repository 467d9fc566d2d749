import javax.naming.NamingEnumeration;
import javax.naming.directory.*;

public class Directory {
    public NamingEnumeration<SearchResult> findUser(DirContext ctx, String login) throws Exception {
        SearchControls sc = new SearchControls();
        sc.setSearchScope(SearchControls.SUBTREE_SCOPE);
        String filter = "(&(objectClass=inetOrgPerson)(uid=" + login + "))";
        return ctx.search("ou=people,dc=corp,dc=example", filter, sc);
    }
}
