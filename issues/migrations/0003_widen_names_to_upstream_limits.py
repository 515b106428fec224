# Widen Project.name, Goal.title and Label.color to the lengths upstream accepts (500, 500, 50).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('issues', '0002_issue_number_sequence'),
    ]

    operations = [
        migrations.AlterField(
            model_name='goal',
            name='title',
            field=models.CharField(max_length=500),
        ),
        migrations.AlterField(
            model_name='label',
            name='color',
            field=models.CharField(default='#6b7280', max_length=50),
        ),
        migrations.AlterField(
            model_name='project',
            name='name',
            field=models.CharField(max_length=500),
        ),
    ]
