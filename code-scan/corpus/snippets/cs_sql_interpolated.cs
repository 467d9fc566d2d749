using Microsoft.Data.Sqlite;

public class ProductRepository
{
    private readonly SqliteConnection _conn;

    public ProductRepository(SqliteConnection conn) { _conn = conn; }

    public int CountByCategory(string category)
    {
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = $"SELECT COUNT(*) FROM products WHERE category = '{category}'";
        return System.Convert.ToInt32(cmd.ExecuteScalar());
    }
}
