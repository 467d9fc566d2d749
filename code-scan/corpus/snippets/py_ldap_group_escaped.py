import ldap
from ldap.filter import escape_filter_chars
from flask import request


def members():
    group = escape_filter_chars(request.args["group"])
    conn = ldap.initialize("ldap://directory.internal")
    query = "(&(objectClass=groupOfNames)(cn=%s))" % group
    return conn.search_s("ou=groups,dc=corp", ldap.SCOPE_SUBTREE, query)
