"""nbgrader configuration for teaching with ganlab (nbgrader >= 0.9; ``pip install
-e ".[coursework]"``).

Layout (nbgrader's standard one), from the folder holding this file:

    source/<assignment>/<notebook>.ipynb      the instructor notebooks, copied from notebooks/
    release/<assignment>/...                  nbgrader generate_assignment <assignment>
    submitted/<student>/<assignment>/...      what learners hand in
    autograded/..., feedback/...              nbgrader autograde / generate_feedback

One assignment per notebook works well (e.g. ``source/05_wgan_gp/05_wgan_gp.ipynb``). The
exercise cells already carry nbgrader's metadata (``ganlab.exercises.nbgrader_metadata``):
answer cells are autograded answers, the check cell after each is a locked autograder test
worth ``ganlab.exercises.POINTS[id]``. ``tests/test_nbgrader.py`` runs generate_assignment and
autograde with this file on two notebooks.
"""

c = get_config()  # noqa: F821 -- provided by nbgrader when it loads this file

c.CourseDirectory.course_id = "ganlab"
c.CourseDirectory.source_directory = "source"
c.CourseDirectory.release_directory = "release"
c.CourseDirectory.submitted_directory = "submitted"
c.CourseDirectory.autograded_directory = "autograded"
c.CourseDirectory.feedback_directory = "feedback"

# Per-cell time limit when autograding. nbgrader's default, 30 s, stops the training cells:
# under the quick budget the slowest cell takes about 55 s on 2 CPU cores (the notebooks are
# kept under 150 s in all), and grading machines are often slower or busier. 600 s leaves a
# wide margin while still stopping a learner's accidental endless loop.
c.Execute.timeout = 600

# Learners see the same stub as in `ganlab exercises build` copies.
c.ClearSolutions.code_stub = {
    "python": 'raise NotImplementedError("Exercise: replace this line with your solution")'}
