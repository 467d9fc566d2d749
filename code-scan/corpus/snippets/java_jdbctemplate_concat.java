import org.springframework.jdbc.core.JdbcTemplate;
import java.util.List;
import java.util.Map;

public class ReportDao {
    private final JdbcTemplate jdbc;

    public ReportDao(JdbcTemplate jdbc) { this.jdbc = jdbc; }

    public List<Map<String, Object>> byRegion(String region, String sortColumn) {
        String sql = "SELECT id, total FROM sales WHERE region = '" + region + "'";
        sql += " ORDER BY " + sortColumn;
        return jdbc.queryForList(sql);
    }
}
