#include <pqxx/pqxx>
#include <string>

pqxx::result orders_for(pqxx::work &txn, const std::string &customer)
{
    std::string q = "SELECT id, total FROM orders WHERE customer = '" + customer + "'";
    return txn.exec(q);
}
