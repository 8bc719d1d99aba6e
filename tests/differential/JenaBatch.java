// Apache Jena (Debian's libapache-jena-java) run over many inputs in one JVM: a JVM start costs
// about 2.5 s, and the differential tests ask Jena hundreds of questions. Run with Java's
// source-file launcher (java -cp JENA_CLASSPATH JenaBatch.java MODE ...), nothing to build.
//
//   query DATA OUTDIR QUERY...   DATA (N-Quads, TriG, N-Triples, Turtle) is loaded into an
//                                in-memory dataset; each QUERY file is answered on the union of
//                                its named graphs (on its default graph when it has none); the answer goes to OUTDIR/<query name>.srj (SPARQL
//                                JSON results), an error to OUTDIR/<query name>.err
//   shacl SHAPES OUTDIR DATA...  each DATA file is validated with Jena SHACL against SHAPES; the
//                                validation report goes to OUTDIR/<data name>.nt
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.jena.graph.Graph;
import org.apache.jena.query.Dataset;
import org.apache.jena.query.DatasetFactory;
import org.apache.jena.query.Query;
import org.apache.jena.query.QueryExecution;
import org.apache.jena.query.QueryExecutionFactory;
import org.apache.jena.query.QueryFactory;
import org.apache.jena.query.ResultSetFormatter;
import org.apache.jena.rdf.model.ModelFactory;
import org.apache.jena.riot.Lang;
import org.apache.jena.riot.RDFDataMgr;
import org.apache.jena.shacl.ShaclValidator;
import org.apache.jena.shacl.Shapes;
import org.apache.jena.shacl.ValidationReport;
import org.apache.jena.sparql.core.DatasetGraph;
import org.apache.jena.sys.JenaSystem;

public class JenaBatch {
    static String stem(String file) {
        String name = Path.of(file).getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }

    static void error(Path out, Throwable e) throws Exception {
        Files.writeString(out, String.valueOf(e), StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws Exception {
        JenaSystem.init();
        String mode = args[0];
        Path outdir = Path.of(args[2]);
        Files.createDirectories(outdir);
        if (mode.equals("query")) {
            DatasetGraph dsg = RDFDataMgr.loadDatasetGraph(args[1]);
            // the union of the named graphs (the data is given in named graphs), as a default graph
            Graph union = dsg.listGraphNodes().hasNext() ? dsg.getUnionGraph() : dsg.getDefaultGraph();
            Dataset ds = DatasetFactory.wrap(ModelFactory.createModelForGraph(union));
            for (int i = 3; i < args.length; i++) {
                String name = stem(args[i]);
                try {
                    Query query = QueryFactory.read(args[i]);
                    try (QueryExecution qe = QueryExecutionFactory.create(query, ds);
                         OutputStream out = new FileOutputStream(outdir.resolve(name + ".srj").toFile())) {
                        ResultSetFormatter.outputAsJSON(out, qe.execSelect());
                    }
                } catch (Exception e) {
                    Files.deleteIfExists(outdir.resolve(name + ".srj"));
                    error(outdir.resolve(name + ".err"), e);
                }
            }
        } else if (mode.equals("shacl")) {
            Shapes shapes = Shapes.parse(RDFDataMgr.loadGraph(args[1]));
            for (int i = 3; i < args.length; i++) {
                String name = stem(args[i]);
                try {
                    Graph data = RDFDataMgr.loadGraph(args[i]);
                    ValidationReport report = ShaclValidator.get().validate(shapes, data);
                    try (OutputStream out = new FileOutputStream(outdir.resolve(name + ".nt").toFile())) {
                        RDFDataMgr.write(out, report.getGraph(), Lang.NTRIPLES);
                    }
                } catch (Exception e) {
                    error(outdir.resolve(name + ".err"), e);
                }
            }
        } else {
            System.err.println("unknown mode " + mode + " (query, shacl)");
            System.exit(2);
        }
    }
}
