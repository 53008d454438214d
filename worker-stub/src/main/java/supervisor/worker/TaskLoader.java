package supervisor.worker;

import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.InvocationTargetException;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.Manifest;

/**
 * Finds and instantiates the task: the class named by the system property
 * {@value #PROPERTY} if set, otherwise by the {@value #ATTRIBUTE} attribute of the manifests on
 * the class path, which must all agree.
 */
final class TaskLoader {
    static final String PROPERTY = "supervisor.task.class";
    static final String ATTRIBUTE = "Task-Class";

    private TaskLoader() {}

    /** @throws TaskLoadException saying which step failed, with the underlying failure as cause */
    static Task load(ClassLoader loader) throws TaskLoadException {
        String name = System.getProperty(PROPERTY);
        return instantiate(name != null ? name.trim() : fromManifests(loader), loader);
    }

    private static String fromManifests(ClassLoader loader) throws TaskLoadException {
        Map<String, List<URL>> names = new LinkedHashMap<>();
        try {
            for (URL url : Collections.list(loader.getResources("META-INF/MANIFEST.MF"))) {
                String name = attribute(url);
                if (name != null) {
                    names.computeIfAbsent(name, n -> new ArrayList<>()).add(url);
                }
            }
        } catch (IOException e) {
            throw new TaskLoadException("cannot read the manifests on the class path", e);
        }
        if (names.isEmpty()) {
            throw new TaskLoadException("no " + ATTRIBUTE + " attribute in any META-INF/MANIFEST.MF"
                    + " on the class path, and no -D" + PROPERTY);
        }
        if (names.size() > 1) {
            throw new TaskLoadException("the manifests on the class path name different task classes "
                    + names + "; set -D" + PROPERTY + " to choose one");
        }
        return names.keySet().iterator().next();
    }

    private static String attribute(URL manifest) throws IOException {
        try (InputStream in = manifest.openStream()) {
            String name = new Manifest(in).getMainAttributes().getValue(ATTRIBUTE);
            return name == null || name.isBlank() ? null : name.trim();
        }
    }

    private static Task instantiate(String name, ClassLoader loader) throws TaskLoadException {
        Class<?> type;
        try {
            type = Class.forName(name, true, loader);
        } catch (ClassNotFoundException e) {
            throw new TaskLoadException("task class " + name + " not found on the class path", e);
        } catch (LinkageError e) { // ExceptionInInitializerError, NoClassDefFoundError, ...
            throw new TaskLoadException("task class " + name + " failed to load", e);
        }
        if (!Task.class.isAssignableFrom(type)) {
            throw new TaskLoadException("task class " + name + " does not implement "
                    + Task.class.getName());
        }
        try {
            return type.asSubclass(Task.class).getConstructor().newInstance();
        } catch (NoSuchMethodException e) {
            throw new TaskLoadException("task class " + name + " has no public no-arg constructor", e);
        } catch (InvocationTargetException e) {
            throw new TaskLoadException("the constructor of task class " + name + " threw", e.getCause());
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new TaskLoadException("cannot instantiate task class " + name, e);
        }
    }
}
