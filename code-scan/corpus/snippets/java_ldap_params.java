import javax.naming.NamingEnumeration;
import javax.naming.directory.*;

public class SafeDirectory {
    public NamingEnumeration<SearchResult> findUser(DirContext ctx, String login) throws Exception {
        SearchControls sc = new SearchControls();
        sc.setSearchScope(SearchControls.SUBTREE_SCOPE);
        return ctx.search("ou=people,dc=corp,dc=example", "(&(objectClass=inetOrgPerson)(uid={0}))", new Object[] { login }, sc);
    }
}
